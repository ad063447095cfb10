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

    private Database(HikariDataSource pool, boolean postgres) {
        this.pool = pool;
        this.dataSource = postgres ? pool : new DurableH2(pool); // PostgreSQL's commit is durable as it is
        this.postgres = postgres;
    }

    /** The embedded default: {@code <dataDir>/assembly.mv.db}. */
    public static String h2Url(Path dataDir) {
        // WRITE_DELAY=0: a commit tries to reach the file at once; DurableH2 makes sure it did before the answer.
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("assembly") + ";WRITE_DELAY=0";
    }

    public static Database open(String url, String user, String password) {
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
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(c);
        } catch (RuntimeException e) {
            throw new StoreException("connecting to the database at " + redact(url), e);
        }
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw new StoreException("migrating the database at " + redact(url), e);
        }
        return new Database(ds, url.startsWith("jdbc:postgresql:"));
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
