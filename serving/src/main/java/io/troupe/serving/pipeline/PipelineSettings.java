package io.troupe.serving.pipeline;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * The {@code troupe.serving.pipeline} settings, read once: how a policy too large for one node is served by stage
 * actors on several nodes ({@link StageActor}, {@link StagedPolicy}).
 *
 * @param stages       stages the policy is split into (1: the whole policy on the serving node, no pipeline)
 * @param timeout      how long a request waits for the last stage's answer before it is refused
 * @param messageBytes the most activation (or observation) bytes one message between stages carries; a batch is cut
 *                     into messages of whole rows under it, each stage runs them as they come
 * @param awaitStages  how long a serving node starting up waits for every stage to register before it gives up
 */
public record PipelineSettings(int stages, Duration timeout, long messageBytes, Duration awaitStages) {
    /** Where stage actors run their forward passes (and load their slices). */
    public static final String DISPATCHER = "troupe.serving.pipeline.dispatcher";

    public PipelineSettings {
        if (stages < 1) {
            throw new IllegalArgumentException("troupe.serving.pipeline.stages must be >= 1 (1: no pipeline), got "
                    + stages);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("troupe.serving.pipeline.timeout must be a positive duration, got "
                    + timeout);
        }
        if (messageBytes < 1024) {
            throw new IllegalArgumentException("troupe.serving.pipeline.message-bytes must be >= 1 KiB, got "
                    + messageBytes + " bytes");
        }
        if (awaitStages == null || awaitStages.isNegative()) {
            throw new IllegalArgumentException("troupe.serving.pipeline.await-stages must be a duration >= 0, got "
                    + awaitStages);
        }
    }

    /** Reads {@code troupe.serving.pipeline} of {@code root}; errors name the key. */
    public static PipelineSettings fromConfig(Config root) {
        try {
            Config c = root.getConfig("troupe.serving.pipeline");
            return new PipelineSettings(c.getInt("stages"), c.getDuration("timeout"), c.getBytes("message-bytes"),
                    c.getDuration("await-stages"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.serving.pipeline: " + e.getMessage(), e);
        }
    }

    public PipelineSettings withStages(int k) {
        return new PipelineSettings(k, timeout, messageBytes, awaitStages);
    }

    /** The dispatcher stage actors run on. */
    public static DispatcherSelector dispatcher() {
        return DispatcherSelector.fromConfig(DISPATCHER);
    }
}
