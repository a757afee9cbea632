package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The browser the dashboard tests drive: Debian's chromium, headless, through its chromedriver (no Selenium Manager,
 * nothing downloaded). A missing browser fails the test with the command that installs it.
 */
final class Browsers {
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("TROUPE_CHROMIUM", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("TROUPE_CHROMEDRIVER",
            "/usr/bin/chromedriver"));

    private Browsers() {
    }

    static ChromeDriver headlessChromium() {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "no browser: " + CHROMIUM
                + " and " + CHROMEDRIVER + " are needed (apt-get install -y chromium chromium-driver, as .ci/run "
                + "does; or set TROUPE_CHROMIUM and TROUPE_CHROMEDRIVER)");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        return new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build(), options);
    }

    /** The console's warnings and errors since the last call. */
    static List<LogEntry> consoleProblems(ChromeDriver browser) {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
    }
}
