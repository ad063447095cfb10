package dev.assemblyline.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The connection pool and the schema. H2 in a file under the data folder by default, PostgreSQL when
 * given a {@code jdbc:postgresql:} URL; the same Flyway migrations run on both.
 */
public final class Database implements AutoCloseable {
    private final HikariDataSource pool;
    private final DataSource dataSource;
    private final boolean postgres;

    private final Fence fence = new Fence();
    private final String url;
    private final String user;
    private final String password;
    private final String replica;

    private Database(HikariDataSource pool, boolean postgres, String url, String user, String password, String replica) {
        this.pool = pool;
        // PostgreSQL's commit is durable as it is; its connections carry this replica's fencing number
        this.dataSource = postgres ? fence.over(pool) : new DurableH2(pool);
        this.postgres = postgres;
        this.url = url;
        this.user = user;
        this.password = password;
        this.replica = replica;
    }

    /** Parsed statements each embedded connection keeps. */
    static final int H2_QUERY_CACHE = 256;

    /** The embedded default: {@code <dataDir>/assembly.mv.db}. */
    public static String h2Url(Path dataDir) {
        // WRITE_DELAY=0: a commit tries to reach the file at once; DurableH2 makes sure it did before the answer.
        // QUERY_CACHE_SIZE: each connection keeps this many parsed statements (H2's default is 8, and the
        // coordinator runs about a hundred different ones, so most were parsed again on every use)
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("assembly") + ";WRITE_DELAY=0;QUERY_CACHE_SIZE=" + H2_QUERY_CACHE;
    }

    public static Database open(String url, String user, String password) {
        return open(url, user, password, null);
    }

    /**
     * @param replica this process's name among replicas (docs/SCALING.md), given to PostgreSQL as the
     *                connections' application name so a new leader can end a stalled one's sessions; null for none
     */
    public static Database open(String url, String user, String password, String replica) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        if (user != null) {
            c.setUsername(user);
        }
        if (password != null) {
            c.setPassword(password);
        }
        c.setMaximumPoolSize(url.startsWith("jdbc:h2:") ? 8 : 16);
        c.setPoolName("assembly-db");
        c.setInitializationFailTimeout(10_000);
        c.setExceptionOverrideClassName(EvictBrokenConnections.class.getName()); // a closed H2 is reopened, not kept
        c.setConnectionTimeout(5_000); // a database that is down answers 503 in seconds, not after 30
        boolean postgres = url.startsWith("jdbc:postgresql:");
        if (postgres && replica != null) {
            c.addDataSourceProperty("ApplicationName", applicationName(replica));
        }
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(c);
        } catch (RuntimeException e) {
            throw new StoreException("connecting to the database at " + redact(url), e);
        }
        try {
            // db/postgresql: what only PostgreSQL has (the fencing triggers, run after every migration)
            Flyway.configure().dataSource(ds).locations(postgres ? new String[] {"classpath:db/migration", "classpath:db/postgresql"}
                    : new String[] {"classpath:db/migration"}).load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw new StoreException("migrating the database at " + redact(url), e);
        }
        return new Database(ds, postgres, url, user, password, replica);
    }

    /** The application name a replica's connections carry on PostgreSQL (at most 63 characters there). */
    public static String applicationName(String replica) {
        String name = "assembly " + replica;
        return name.length() <= 63 ? name : name.substring(0, 63);
    }

    /** This process's fencing number (PostgreSQL; on H2 it stays 0 and nothing checks it). */
    public Fence fence() {
        return fence;
    }

    /**
     * A connection outside the pool, for leadership: the advisory lock lives and dies with it. Short
     * timeouts, so a leader that loses the database learns it within seconds.
     */
    public java.sql.Connection dedicated() throws java.sql.SQLException {
        java.util.Properties p = new java.util.Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "3");
        p.setProperty("socketTimeout", "4");
        p.setProperty("tcpKeepAlive", "true");
        if (replica != null) {
            p.setProperty("ApplicationName", applicationName(replica));
        }
        return new org.postgresql.Driver().connect(url, p);
    }

    /** The URL without a password in it, for messages. */
    public static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//[^/@]*:[^/@]*@", "//***@");
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** The data-access helper the stores use. */
    public Jdbc jdbc() {
        return new Jdbc(dataSource, postgres);
    }

    public boolean isPostgres() {
        return postgres;
    }

    @Override
    public void close() {
        pool.close();
    }
}
