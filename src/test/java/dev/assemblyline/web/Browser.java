package dev.assemblyline.web;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium driven by its chromium-driver, headless, for the dashboard's browser tests and the
 * dashboard benchmark. Missing programs fail with what to install (never a skip); nothing is downloaded.
 */
public final class Browser {
    private Browser() {
    }

    static String find(String env, String... candidates) {
        String set = System.getenv(env);
        if (set != null && !set.isBlank()) {
            return set;
        }
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        throw new AssertionError("the browser tests need " + String.join(" or ", candidates) + " (Debian: apt-get install chromium"
                + " chromium-driver; .ci/run installs them), or " + env + " set to it");
    }

    /** A new headless browser with an empty profile, {@code width} x {@code height}. */
    public static ChromeDriver open(Path profile, int width, int height) {
        String chrome = find("ASSEMBLY_CHROME", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        String driver = find("ASSEMBLY_CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chrome);
        // the machine's network is closed: without these chromium keeps trying to reach Google's hosts
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=" + width + "," + height);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver)).usingAnyFreePort().build();
        ChromeDriver d = new ChromeDriver(service, o);
        d.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
        return d;
    }

    /** Makes the page see the system's dark setting. */
    public static void dark(ChromeDriver d, boolean dark) {
        d.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", dark ? "dark" : "light"))));
    }

    /** Saves a screenshot of the page under target/screenshots/. */
    public static Path screenshot(ChromeDriver d, String name) throws java.io.IOException {
        Path dir = dev.assemblyline.Tools.projectDir().resolve("target/screenshots");
        Files.createDirectories(dir);
        Path out = dir.resolve(name + ".png");
        Files.write(out, d.getScreenshotAs(OutputType.BYTES));
        return out;
    }
}
