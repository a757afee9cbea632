package io.troupe.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one token rule of both HTTP ports, and the one Prometheus number format. */
class BearerTokenTest {
    private static final String TOKEN = "a-token-of-24-characters";

    @Test
    void theEnvironmentWinsOverTheConfigAndBlankMeansNone() {
        assertEquals(Optional.of(TOKEN), BearerToken.admin(Map.of("TROUPE_ADMIN_TOKEN", " " + TOKEN + " "),
                "config-token-0123456789"));
        assertEquals(Optional.of("config-token-0123456789"), BearerToken.admin(Map.of("TROUPE_ADMIN_TOKEN", "  "),
                " config-token-0123456789"));
        assertEquals(Optional.empty(), BearerToken.admin(Map.of(), ""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BearerToken.read(Map.of("TROUPE_SERVE_TOKEN", "short"), "TROUPE_SERVE_TOKEN", "",
                        "troupe.serving.token", "the serving token"));
        assertEquals("the serving token (TROUPE_SERVE_TOKEN or troupe.serving.token) must have at least 16 "
                + "characters", e.getMessage());
    }

    @Test
    void aRequestCarriesTheTokenAsABearer() {
        assertEquals(BearerToken.Check.ACCEPTED, BearerToken.check(TOKEN, Optional.of("Bearer " + TOKEN + " ")));
        assertEquals(BearerToken.Check.MISSING, BearerToken.check(TOKEN, Optional.empty()));
        assertEquals(BearerToken.Check.INVALID, BearerToken.check(TOKEN, Optional.of(TOKEN)));
        assertEquals(BearerToken.Check.INVALID, BearerToken.check(TOKEN, Optional.of("Bearer " + TOKEN + "x")));
    }

    @Test
    void prometheusNumbersNamesAndLabels() {
        assertEquals("3", PrometheusFormat.number(3.0));
        assertEquals("0.25", PrometheusFormat.number(0.25));
        assertEquals("NaN", PrometheusFormat.number(Double.NaN));
        assertEquals("+Inf", PrometheusFormat.number(Double.POSITIVE_INFINITY), "not Java's 'Infinity'");
        assertEquals("-Inf", PrometheusFormat.number(Double.NEGATIVE_INFINITY));
        assertEquals("losses_approx_kl", PrometheusFormat.name("losses/approx_kl"));
        assertEquals("a\\\"b\\\\c\\n", PrometheusFormat.label("a\"b\\c\n"));
        StringBuilder b = new StringBuilder();
        PrometheusFormat.gauge(b, "troupe_x", "{k=\"v\"}", Double.POSITIVE_INFINITY);
        assertEquals("# TYPE troupe_x gauge\ntroupe_x{k=\"v\"} +Inf\n", b.toString());
    }
}
