// Embedded Neo4j Community launcher with a Bolt listener on 127.0.0.1.
//
// Usage:
//   java -Xmx1g -cp <classes>:<lib/*> FiliereNeo4j --home DIR --port N --ready-file FILE
//        [--pagecache 256m] [--tx-timeout 60s] [--tx-memory 256m] [--tx-memory-total 600m]
// --tx-memory is db.memory.transaction.max (one transaction), --tx-memory-total is
// dbms.memory.transaction.total.max (all transactions at once): a query that needs more
// fails with a memory-limit error instead of exhausting the heap ("0" means no limit).
// The password of user "neo4j" comes from env FILIERE_NEO4J_PASSWORD (default "filiere-dev").
// Prints "FILIERE_NEO4J_READY bolt://127.0.0.1:N" and writes the URI to the ready file once
// the default database served a write+read transaction and the Bolt port accepts TCP.
// SIGTERM/SIGINT -> managementService.shutdown(), exit 0.

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingValueParsers;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;
import org.neo4j.graphdb.Transaction;

public final class FiliereNeo4j {
    private static final String HOST = "127.0.0.1";
    private static volatile DatabaseManagementService service;

    private FiliereNeo4j() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            // Neo4j's non-daemon threads would keep a half-started JVM alive: exit explicitly.
            log("FATAL: startup failed");
            t.printStackTrace(System.err);
            System.err.flush();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Map<String, String> opts = parseArgs(args);
        Path home = Path.of(require(opts, "home")).toAbsolutePath();
        int port = Integer.parseInt(require(opts, "port"));
        Path readyFile = Path.of(require(opts, "ready-file")).toAbsolutePath();
        String pagecache = opts.getOrDefault("pagecache", "256m");
        String txTimeout = opts.getOrDefault("tx-timeout", "60s");
        String txMemory = opts.getOrDefault("tx-memory", "0");
        String txMemoryTotal = opts.getOrDefault("tx-memory-total", "0");
        String password = System.getenv().getOrDefault("FILIERE_NEO4J_PASSWORD", "filiere-dev");
        if (password.isEmpty()) {
            fail("FILIERE_NEO4J_PASSWORD must not be empty");
        }

        Files.deleteIfExists(readyFile);
        Files.createDirectories(home);

        log("starting Neo4j (home=" + home + ", bolt=" + HOST + ":" + port + ", pagecache="
                + pagecache + ", tx-timeout=" + txTimeout + ", tx-memory=" + txMemory
                + ", tx-memory-total=" + txMemoryTotal + ")");

        Runtime.getRuntime().addShutdownHook(new Thread(FiliereNeo4j::shutdown, "filiere-neo4j-shutdown"));
        installSignalHandler("TERM");
        installSignalHandler("INT");

        long pagecacheBytes = SettingValueParsers.BYTES.parse(pagecache);
        Duration timeout = SettingValueParsers.DURATION.parse(txTimeout);
        long txMemoryBytes = SettingValueParsers.BYTES.parse(txMemory);
        long txMemoryTotalBytes = SettingValueParsers.BYTES.parse(txMemoryTotal);

        service = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                // Internal settings: the 5s defaults make Bolt shutdown take ~10s.
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.auth_minimum_password_length, 1)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecacheBytes)
                .setConfig(GraphDatabaseSettings.transaction_timeout, timeout)
                .setConfig(GraphDatabaseSettings.memory_transaction_max_size, txMemoryBytes)
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txMemoryTotalBytes)
                .build();

        setPassword(service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), password);
        probe(service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME));
        waitForPort(port, Duration.ofSeconds(60));

        String uri = "bolt://" + HOST + ":" + port;
        Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
        Files.writeString(tmp, uri + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, readyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("FILIERE_NEO4J_READY " + uri);
        System.out.flush();

        new CountDownLatch(1).await(); // run until a signal ends the JVM
    }

    /** Sets the password of user neo4j (no forced change). Re-setting the same password is a no-op. */
    private static void setPassword(GraphDatabaseService system, String password) {
        Map<String, Object> params = new HashMap<>();
        params.put("pw", password);
        try {
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", params);
            log("password of user neo4j set");
        } catch (RuntimeException e) {
            String msg = String.valueOf(rootMessage(e));
            if (msg.toLowerCase().contains("same")) {
                log("password of user neo4j unchanged");
            } else {
                throw e;
            }
        }
    }

    /** A real write+read round trip on the default database, leaving no data behind. */
    private static void probe(GraphDatabaseService db) {
        String token = Long.toString(System.nanoTime());
        try (Transaction tx = db.beginTx()) {
            tx.execute("CREATE (:FiliereLauncherProbe {token: $t})", Map.of("t", token)).close();
            tx.commit();
        }
        try (Transaction tx = db.beginTx()) {
            try (Result r = tx.execute(
                    "MATCH (n:FiliereLauncherProbe {token: $t}) WITH n, n.token AS t DELETE n RETURN t",
                    Map.of("t", token))) {
                if (!r.hasNext() || !token.equals(r.next().get("t"))) {
                    throw new IllegalStateException("readiness probe: written node not read back");
                }
            }
            tx.commit();
        }
    }

    private static void waitForPort(int port, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    fail("Bolt port " + port + " does not accept connections: " + e);
                }
                Thread.sleep(100);
            }
        }
    }

    private static void shutdown() {
        DatabaseManagementService s = service;
        service = null;
        if (s != null) {
            log("shutting down Neo4j");
            try {
                s.shutdown();
                log("Neo4j stopped");
            } catch (Throwable t) {
                log("error during shutdown: " + t);
            }
        }
    }

    @SuppressWarnings("removal")
    private static void installSignalHandler(String name) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                log("received SIG" + name);
                // Runs the shutdown hook, then exits with status 0.
                new Thread(() -> System.exit(0), "filiere-neo4j-exit").start();
            });
        } catch (Throwable t) {
            log("cannot install SIG" + name + " handler: " + t);
        }
    }

    private static String rootMessage(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    private static Map<String, String> parseArgs(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || i + 1 >= args.length) {
                fail("bad argument: " + a);
            }
            out.put(a.substring(2), args[++i]);
        }
        return out;
    }

    private static String require(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            fail("missing --" + key);
        }
        return v;
    }

    private static void log(String msg) {
        System.err.println("[filiere-neo4j] " + msg);
        System.err.flush();
    }

    private static void fail(String msg) {
        log("FATAL: " + msg);
        System.exit(2);
    }
}
