package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.run.RunSummary;
import io.troupe.cluster.run.StopReason;
import io.troupe.cluster.run.TrainJob;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's chromium through its chromedriver, headless) on the admin port of a
 * CartPole job training here: it loads with no console error, its return curve gains points while the job trains,
 * pausing an agent from the page is refused without the token and works with it, and its screenshot is not blank.
 * Without a browser this test fails: {@code apt-get install -y chromium chromium-driver} (.ci/run does).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
    private static final String TOKEN = "dashboard-test-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path runs;
    private static String admin;
    private static final AtomicBoolean STOP = new AtomicBoolean();
    private static CompletableFuture<RunSummary> training;
    private static ChromeDriver browser;

    @BeforeAll
    static void trainAndOpenABrowser() throws Exception {
        browser = Browsers.headlessChromium();
        int port = NodeProcesses.freePort();
        admin = "http://127.0.0.1:" + port;
        // a job that trains until the tests stop it (as Ctrl-C would), however slow the machine
        Config config = ConfigFactory.parseString("troupe.admin { port = " + port + ", token = \"" + TOKEN + "\" }\n"
                + "troupe.train { algorithm = ppo, mode = cluster, num-agents = 2, envs-per-agent = 4, "
                + "max-env-steps = 100000000, target-return = 100000, max-wall-time = 10 minutes, "
                + "report-interval = 250ms, runs-dir = \"" + runs.toString().replace("\\", "/") + "\" }\n"
                + "troupe.model.kind = mlp").withFallback(ConfigFactory.load()).resolve();
        training = CompletableFuture.supplyAsync(() -> {
            try {
                return new TrainJob(config).run(runPath -> { }, STOP);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        STOP.set(true);
        if (training != null) {
            assertEquals(StopReason.INTERRUPTED, training.get(120, TimeUnit.SECONDS).stopReason());
        }
    }

    private static HttpResponse<String> call(String method, String path, String body, boolean token)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(admin + path)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token) {
            b.header("Authorization", "Bearer " + TOKEN);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String agentState(String id) throws Exception {
        for (JsonNode a : JsonCodec.readTree(call("GET", "/troupe/agents", null, false).body(), "agents")
                .get("agents")) {
            if (a.get("agent").asText().equals(id)) {
                return a.get("state").asText();
            }
        }
        return "absent";
    }

    private static WebDriverWait waiting(int seconds) {
        return new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(100));
    }

    private static long pagePoints() {
        Object n = ((JavascriptExecutor) browser).executeScript("return window.troupeDashboard ? "
                + "window.troupeDashboard.points : 0");
        return ((Number) n).longValue();
    }

    private static double firstPointMs() {
        return ((Number) ((JavascriptExecutor) browser).executeScript("return window.troupeDashboard.firstPointMs"))
                .doubleValue();
    }

    @Test
    @Order(1)
    void theDashboardLoadsWithoutConsoleErrorsAndItsReturnCurveGainsPointsWhileTheJobTrains() {
        // the admin port opens once the job's cluster is up
        waiting(120).ignoring(Exception.class).until(d -> {
            d.get(admin + "/");
            return d.getTitle().equals("Troupe dashboard");
        });
        waiting(60).until(d -> pagePoints() > 0);
        double sinceStart = firstPointMs();
        // the page opened on a job that has been reporting: its held points arrive with the first event
        browser.navigate().refresh();
        waiting(60).until(d -> pagePoints() > 0);
        System.out.printf("dashboard: first curve point %.0f ms after the page started loading (%.0f ms when opened "
                + "as the job started)%n", firstPointMs(), sinceStart);
        WebElement curve = waiting(30).until(d -> d.findElement(By.id("chart-return")));
        long first = Long.parseLong(curve.getAttribute("data-points"));
        assertTrue(first > 0);
        waiting(60).until(d -> Long.parseLong(d.findElement(By.id("chart-return")).getAttribute("data-points"))
                > first + 2);
        assertEquals(List.of(), Browsers.consoleProblems(browser), "console errors and warnings");
    }

    @Test
    @Order(2)
    void pausingAnAgentFromThePageIsRefusedWithoutTheTokenAndWorksWithIt() throws Exception {
        browser.get(admin + "/");
        By pause = By.cssSelector("button.agent-action[data-agent='agent-0']");
        waiting(30).until(d -> !d.findElements(pause).isEmpty());
        // the table is redrawn every 2 s: a click may land on a row just replaced, so it is retried until answered
        waiting(30).ignoring(Exception.class).until(d -> {
            d.findElement(pause).click();
            return d.findElement(By.id("action-result")).getText().contains("refused (401)");
        });
        assertTrue(!agentState("agent-0").equals("paused"), "refused without the token: agent-0 is not paused");

        browser.findElement(By.id("token")).sendKeys(TOKEN);
        waiting(30).ignoring(Exception.class).until(d -> {
            d.findElement(pause).click();
            return d.findElement(By.id("action-result")).getText().contains("pause: agent-0");
        });
        waiting(30).ignoring(Exception.class).until(d -> {
            try {
                return agentState("agent-0").equals("paused");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        waiting(30).until(d -> d.findElement(By.id("agents")).getText().contains("paused"));
        assertEquals(202, call("POST", "/troupe/agents/resume", "{}", true).statusCode());
    }

    @Test
    @Order(3)
    void theScreenshotIsNotBlank() throws Exception {
        browser.get(admin + "/");
        waiting(60).until(d -> pagePoints() > 3 && !d.findElements(By.id("chart-steps")).isEmpty());
        byte[] png = browser.getScreenshotAs(OutputType.BYTES);
        Path out = Path.of("target", "dashboard-screenshot.png");
        Files.createDirectories(out.getParent());
        Files.write(out, png);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        Set<Integer> colours = new HashSet<>();
        long notWhite = 0;
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                notWhite += rgb == 0xFFFFFF ? 0 : 1;
            }
        }
        assertTrue(colours.size() > 50, "a screenshot of " + colours.size() + " colours is blank");
        assertTrue(notWhite > image.getWidth() * image.getHeight() / 4 / 10, "mostly white: " + notWhite);
    }
}
