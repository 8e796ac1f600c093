import java.io.File;
import org.apache.zookeeper.server.persistence.FileTxnLog;
import org.apache.zookeeper.server.persistence.TxnLog;
import org.apache.zookeeper.txn.TxnDigest;
import org.apache.zookeeper.txn.TxnHeader;

/**
 * Reads a log directory the way a server does at startup (FileTxnLog's
 * iterator, which checks every checksum) and prints one line per txn:
 * "0x<zxid> <type> <digest or -> <txn class>", then "last 0x<zxid>" from
 * getLastLoggedZxid.
 *
 * <p>Usage: TxnlogRead LOG_DIR [FROM_ZXID]
 */
public final class TxnlogRead {
    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        long from = args.length > 1 ? Long.decode(args[1]) : 0;
        FileTxnLog log = new FileTxnLog(dir);
        try (TxnLog.TxnIterator it = log.read(from)) {
            while (it.getHeader() != null) {
                TxnHeader hdr = it.getHeader();
                TxnDigest digest = it.getDigest();
                String txn = it.getTxn() == null ? "null" : it.getTxn().getClass().getSimpleName();
                System.out.println("0x" + Long.toHexString(hdr.getZxid()) + " " + hdr.getType() + " "
                    + (digest == null ? "-" : Long.toString(digest.getTreeDigest())) + " " + txn);
                if (!it.next()) {
                    break;
                }
            }
        }
        System.out.println("last 0x" + Long.toHexString(log.getLastLoggedZxid()));
    }
}
