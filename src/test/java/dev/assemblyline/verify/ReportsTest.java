package dev.assemblyline.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportsTest {
    @TempDir
    Path dir;

    @Test
    void jacocoWithItsDoctypeIsReadWithoutFetchingTheDtd() throws Exception {
        Files.writeString(dir.resolve("jacoco.xml"), "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
                + "<!DOCTYPE report PUBLIC \"-//JACOCO//DTD Report 1.1//EN\" \"http://127.0.0.1:9/report.dtd\">"
                + "<report name=\"demo\"><counter type=\"INSTRUCTION\" missed=\"5\" covered=\"5\"/>"
                + "<counter type=\"LINE\" missed=\"1\" covered=\"3\"/></report>");
        assertThat(Reports.coverage(dir)).isEqualTo(75.0);
    }

    @Test
    void noExternalDtdOrEntityIsFetchedAndAnEntityBombIsRefused() throws Exception {
        // a report is written by the suite, so by whoever can push: its DOCTYPE may point anywhere
        java.util.concurrent.atomic.AtomicInteger fetched = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", ex -> {
            fetched.incrementAndGet();
            byte[] b = "<!ENTITY y \"fetched\">".getBytes();
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        http.start();
        try {
            String at = "http://127.0.0.1:" + http.getAddress().getPort();
            Files.writeString(dir.resolve("evil.xml"), "<?xml version=\"1.0\"?><!DOCTYPE testsuite SYSTEM \"" + at + "/evil.dtd\" [<!ENTITY x SYSTEM \""
                    + at + "/x\">]><testsuite><testcase classname=\"evil\" name=\"t\"><failure>&x;</failure></testcase></testsuite>");
            StringBuilder bomb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE testsuite [<!ENTITY l0 \"lol\">");
            for (int i = 1; i <= 9; i++) {
                bomb.append("<!ENTITY l").append(i).append(" \"").append(("&l" + (i - 1) + ";").repeat(10)).append("\">");
            }
            Files.writeString(dir.resolve("bomb.xml"), bomb + "]><testsuite><testcase classname=\"bomb\" name=\"&l9;\"><failure/></testcase></testsuite>");
            Reports.Counts c = Reports.junit(dir);
            assertThat(fetched.get()).as("nothing fetched for the DTD or the entity").isZero();
            assertThat(c.failing()).as("the report is read without them; the bomb is not read at all").containsExactly("evil.t");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void reportsTheTreeBroughtDoNotCountWhateverTheirTimes() throws Exception {
        Path f = dir.resolve("coverage.xml");
        Files.writeString(f, "<coverage line-rate=\"1.0\"></coverage>");
        var brought = Reports.fingerprints(dir);
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(3600))); // touched, same content
        assertThat(Reports.coverage(dir, brought)).as("a tree cannot bring its own coverage").isNull();
        Files.writeString(f, "<coverage line-rate=\"0.5\"></coverage>"); // rewritten by the run
        assertThat(Reports.coverage(dir, brought)).isEqualTo(50.0);
        assertThat(Reports.coverage(dir, java.util.Map.of())).isEqualTo(50.0);
    }

    @Test
    void theCoordinatorsOwnVariablesCannotBeAskedForByName() {
        assertThat(ProcessRunner.coordinatorOwned("SLACK_BOT_TOKEN")).isTrue();
        assertThat(ProcessRunner.coordinatorOwned("ASSEMBLY_ADMIN_TOKEN")).isTrue();
        assertThat(ProcessRunner.coordinatorOwned("ASSEMBLY_DB_URL")).isTrue();
        assertThat(ProcessRunner.coordinatorOwned("DEPLOY_TOKEN")).isFalse();
    }
}
