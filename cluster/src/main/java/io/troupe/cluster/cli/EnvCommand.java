package io.troupe.cluster.cli;

import io.troupe.cluster.util.Png;
import io.troupe.core.ByteTensor;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.Tensor;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.RgbRenderable;
import io.troupe.environments.check.CheckReport;
import io.troupe.environments.check.EnvChecker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code troupe env list|check|render}. */
@Command(name = "env", mixinStandardHelpOptions = true, description = "Inspect, check and render environments.",
        subcommands = {EnvCommand.ListEnvs.class, EnvCommand.Check.class, EnvCommand.Render.class})
final class EnvCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static EnvRegistry registry(ConfigOptions options) {
        return EnvRegistry.fromConfig(options.load(null, List.of()));
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List registered env ids with their spaces.")
    static final class ListEnvs implements Callable<Integer> {
        @Mixin
        ConfigOptions configOptions;

        @Override
        public Integer call() {
            EnvRegistry registry = registry(configOptions);
            for (String id : registry.ids()) {
                EnvSpec spec = registry.spec(id);
                System.out.println(spec.describe());
            }
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Run the env checker; exits non-zero if any check fails.")
    static final class Check implements Callable<Integer> {
        @Mixin
        ConfigOptions configOptions;

        @Parameters(paramLabel = "ID", arity = "0..*", description = "env ids (default: every registered id)")
        List<String> ids = new ArrayList<>();

        @Override
        public Integer call() {
            EnvRegistry registry = registry(configOptions);
            List<String> targets = ids.isEmpty() ? registry.ids() : ids;
            for (String id : targets) {
                registry.registration(id);
            }
            boolean ok = true;
            for (String id : targets) {
                CheckReport report = EnvChecker.check(registry, id);
                System.out.println(report.format());
                ok &= report.passed();
            }
            return ok ? 0 : 1;
        }
    }

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Write what the agent sees after a seeded reset (and optional random steps) as a PNG.")
    static final class Render implements Callable<Integer> {
        @Mixin
        ConfigOptions configOptions;

        @Parameters(paramLabel = "ID", description = "env id")
        String id;

        @Option(names = "--seed", defaultValue = "0", description = "reset seed (default 0)")
        long seed;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "PNG file to write")
        Path out;

        @Option(names = "--scale", defaultValue = "8", description = "pixels per image pixel (default 8)")
        int scale;

        @Override
        public Integer call() {
            if (scale < 1 || scale > 64) {
                throw new IllegalArgumentException("--scale must be in 1..64, got " + scale);
            }
            if (Files.isDirectory(out)) {
                throw new IllegalArgumentException("--out " + out + " is a directory; expected the PNG file to write");
            }
            EnvRegistry registry = registry(configOptions);
            try (Env env = registry.make(id)) {
                Observation obs = env.reset(seed);
                Env inner = env instanceof EnvWrapper w ? w.unwrapped() : env;
                ByteTensor image;
                String caption = "";
                if (inner instanceof RgbRenderable r) {
                    image = r.renderRgb();
                    caption = r.caption();
                } else {
                    image = imageModality(obs, id);
                }
                Png.write(image, scale, out);
                System.out.println("wrote " + out + " (" + image.shape()[2] * scale + "x" + image.shape()[1] * scale
                        + ")" + (caption.isEmpty() ? "" : ": " + caption));
            }
            return 0;
        }

        private static ByteTensor imageModality(Observation obs, String id) {
            for (Tensor t : obs.tensors().values()) {
                if (t.dtype() == DType.UINT8 && t.shape().length == 3 && (t.shape()[0] == 3 || t.shape()[0] == 1)) {
                    return (ByteTensor) t;
                }
            }
            throw new IllegalArgumentException("env " + id + " has nothing to render: its observation has no uint8 "
                    + "image [3, H, W] and it does not implement RgbRenderable");
        }
    }
}
