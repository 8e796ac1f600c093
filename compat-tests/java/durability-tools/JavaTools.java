import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import org.apache.zookeeper.server.SnapshotComparer;
import org.apache.zookeeper.server.SnapshotFormatter;
import org.apache.zookeeper.server.persistence.TxnLogToolkit;

/**
 * Runs ZooKeeper's own file tools many times in one JVM (a JVM start per
 * file would dominate the tests): each line of the command file is a tool
 * and its arguments, tab-separated: TxnLogToolkit FILE, SnapshotFormatter
 * [-d] FILE, SnapshotComparer -l L -r R -b N -n N. Their main methods run
 * as on the command line, with System.out captured; each run's output is
 * printed after a line "#### LINE" and followed by "#### end".
 *
 * <p>Usage: JavaTools COMMAND_FILE. A tool that calls System.exit ends the
 * whole program (its stderr names the line).
 */
public final class JavaTools {
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
        PrintStream realOut = System.out;
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split("\t");
            String[] toolArgs = new String[words.length - 1];
            System.arraycopy(words, 1, toolArgs, 0, toolArgs.length);
            System.err.println("#### " + line);
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(captured, true, "UTF-8");
            System.setOut(out);
            String status = "ok";
            try {
                switch (words[0]) {
                    case "TxnLogToolkit":
                        TxnLogToolkit.main(toolArgs);
                        break;
                    case "SnapshotFormatter":
                        SnapshotFormatter.main(toolArgs);
                        break;
                    case "SnapshotComparer":
                        SnapshotComparer.main(toolArgs);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown tool " + words[0]);
                }
            } catch (Throwable t) {
                status = "exception " + t;
            } finally {
                out.flush();
                System.setOut(realOut);
            }
            realOut.println("#### " + line);
            realOut.print(new String(captured.toByteArray(), StandardCharsets.UTF_8));
            realOut.println("#### end " + status);
        }
        realOut.flush();
    }
}
