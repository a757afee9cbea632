package io.troupe.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.AdminTimeouts;
import io.troupe.cluster.json.JsonCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options of every command that talks to a job's admin API: where it is, the token, TLS trust, JSON output. */
class AdminOptions {
    @Option(names = "--admin", paramLabel = "URL", defaultValue = AdminClient.DEFAULT_URL,
            description = "the job's admin API (default ${DEFAULT-VALUE}; https://... when it serves TLS)")
    String admin;

    @Option(names = "--json", description = "print the API's JSON answer")
    boolean json;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "read the bearer token from FILE instead of TROUPE_ADMIN_TOKEN")
    Path tokenFile;

    @Option(names = "--ca-cert", paramLabel = "FILE",
            description = "trust the admin API's TLS certificate in FILE (PEM or DER), e.g. a self-signed one")
    Path caCert;

    AdminClient client() {
        Map<String, String> env = new HashMap<>(System.getenv());
        if (tokenFile != null) {
            try {
                env.put(AdminSettings.TOKEN_VARIABLE, Files.readString(tokenFile).trim());
            } catch (IOException e) {
                throw new IllegalArgumentException("--token-file: cannot read " + tokenFile + ": " + e.getMessage());
            }
        }
        return new AdminClient(admin, env, caCert, AdminTimeouts.fromConfig(ConfigFactory.load()
                .getConfig("troupe.admin")));
    }

    void print(JsonNode answer, Runnable human) {
        if (json) {
            System.out.print(JsonCodec.pretty(answer));
        } else {
            human.run();
        }
    }
}
