package io.troupe.cluster.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options of every command that talks to a job's admin API: where it is, the token, JSON output. */
class AdminOptions {
    @Option(names = "--admin", paramLabel = "URL", defaultValue = AdminClient.DEFAULT_URL,
            description = "the job's admin API (default ${DEFAULT-VALUE})")
    String admin;

    @Option(names = "--json", description = "print the API's JSON answer")
    boolean json;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "read the bearer token from FILE instead of TROUPE_ADMIN_TOKEN")
    Path tokenFile;

    AdminClient client() {
        Map<String, String> env = new HashMap<>(System.getenv());
        if (tokenFile != null) {
            try {
                env.put(io.troupe.cluster.http.AdminSettings.TOKEN_VARIABLE, Files.readString(tokenFile).trim());
            } catch (IOException e) {
                throw new IllegalArgumentException("--token-file: cannot read " + tokenFile + ": " + e.getMessage());
            }
        }
        return new AdminClient(admin, env);
    }

    void print(JsonElement answer, Runnable human) {
        if (json) {
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(answer));
        } else {
            human.run();
        }
    }
}
