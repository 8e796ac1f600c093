/**
 * Runs one scenario against a server with the official Java client and
 * prints its transcript on stdout.
 *
 * <p>Usage: Main SCENARIO HOST:PORT, SCENARIO one of crud, multi, watches,
 * acl, sessions, admin. Exits 0 after printing "END SCENARIO steps=N"; 1 (with
 * a stack trace on stderr) if the scenario could not go on: a client could
 * not connect, or the server stopped answering (three timeouts).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: Main SCENARIO HOST:PORT");
            System.exit(2);
        }
        String name = args[0];
        String server = args[1];
        Scenario scenario;
        switch (name) {
            case "crud":
                scenario = new CrudScenario(server);
                break;
            case "multi":
                scenario = new MultiScenario(server);
                break;
            case "watches":
                scenario = new WatchScenario(server);
                break;
            case "acl":
                scenario = new AclScenario(server);
                break;
            case "sessions":
                scenario = new SessionScenario(server);
                break;
            case "admin":
                scenario = new AdminScenario(server);
                break;
            default:
                System.err.println("unknown scenario " + name);
                System.exit(2);
                return;
        }
        // A request the server never answers fails after 20 s instead of
        // hanging the scenario (the default is to wait forever).
        System.setProperty("zookeeper.request.timeout", "20000");
        System.err.println("scenario " + name + " with the " + Compat.clientVersion() + " client against " + server);
        int status = 0;
        try {
            scenario.run();
            scenario.closeAll();
            Scenario.line("END " + name + " steps=" + Scenario.steps());
        } catch (Throwable t) {
            System.out.flush();
            System.err.println("scenario " + name + " broke:");
            t.printStackTrace();
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }
}
