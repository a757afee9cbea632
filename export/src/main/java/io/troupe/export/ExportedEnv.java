package io.troupe.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.environments.EnvRegistry;

/**
 * The env settings an exported policy carries in its contract ({@link PolicyContract#envSettings}): written from the
 * run it was exported from, read back as the overrides that make the same env ({@code EnvRegistry.make(id,
 * overrides)}), so evaluating or serving an exported model plays the env it was trained in, not the registration's
 * defaults.
 */
public final class ExportedEnv {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ExportedEnv() {
    }

    /** The settings {@code run} trained with: its env's registered params under its overrides. */
    public static JsonNode settingsOf(RunCheckpoint run) {
        Config settings = EnvRegistry.fromConfig(run.config()).settings(run.envId(), run.envOverrides());
        try {
            return MAPPER.readTree(settings.root().render(ConfigRenderOptions.concise()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("env settings of " + run.runDir() + " do not render as JSON", e);
        }
    }

    /** The overrides that make a contract's env as its policy was trained; empty when it carries none. */
    public static Config overrides(PolicyContract contract) {
        JsonNode settings = contract.envSettings();
        return settings == null ? ConfigFactory.empty() : ConfigFactory.parseString(settings.toString());
    }
}
