package io.troupe.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.Observation;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.edge.observation.ObservationJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The edge jar's command line ({@code java -jar troupe-edge.jar ...}):
 * <pre>
 * act --obs FILE [--dir DIR] [--json] [--batch] [--threads N]   the greedy action of FILE's observation ("-": stdin)
 * pipe [--dir DIR] [--json] [--threads N]                       an observation a line on stdin, an action a line out
 * info [--dir DIR]                                               the policy's contract (policy.json)
 * </pre>
 * {@code DIR} defaults to the jar's own directory when it holds {@code policy.json} (a bundle), else the working
 * directory. A bad argument or observation prints one line on stderr and exits with status 2. ONNX Runtime's native
 * libraries are unpacked once into {@code ~/.cache/troupe-edge} ({@link NativeLibraries}; {@code
 * -Dtroupe.edge.native-cache=off} leaves them to ONNX Runtime's loader, which copies them to a temporary folder on
 * every start).
 */
public final class EdgeMain {
    static final String USAGE = "usage: java -jar troupe-edge.jar act --obs FILE [--dir DIR] [--json] [--batch]"
            + " [--threads N] | pipe [--dir DIR] [--json] [--threads N] | info [--dir DIR]";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EdgeMain() {
    }

    public static void main(String[] args) {
        NativeLibraries.useCache();
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Runs a command; returns the exit status (0 done, 2 bad input). */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        try {
            Options o = Options.parse(args);
            switch (o.command) {
                case "info" -> {
                    PolicyContract c = PolicyContract.read(o.dir().resolve(PolicyContract.FILE));
                    out.println(c.toJson());
                }
                case "act" -> {
                    JsonNode json = readJson(o.obs, in);
                    try (EdgePolicy policy = EdgePolicy.load(o.dir(), o.threads)) {
                        List<EdgeAction> actions;
                        if (o.batch) {
                            List<Observation> obs = new ArrayList<>();
                            int rows = ObservationJson.readBatch(json, policy.observationSpace()).rows();
                            for (int i = 0; i < rows; i++) {
                                obs.add(ObservationJson.read(json.get(i), policy.observationSpace()));
                            }
                            actions = policy.actAll(obs);
                        } else {
                            actions = List.of(policy.act(json));
                        }
                        for (EdgeAction a : actions) {
                            out.println(format(a, o.json));
                        }
                    }
                }
                case "pipe" -> {
                    try (EdgePolicy policy = EdgePolicy.load(o.dir(), o.threads);
                         BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                        String line;
                        int n = 0;
                        while ((line = lines.readLine()) != null) {
                            n++;
                            if (line.isBlank()) {
                                continue;
                            }
                            try {
                                out.println(format(policy.act(parse(line, "stdin line " + n)), o.json));
                            } catch (IllegalArgumentException e) {
                                out.println("error: " + e.getMessage());
                            }
                            out.flush();
                        }
                    }
                }
                default -> throw new IllegalArgumentException("unknown command '" + o.command
                        + "'; expected act, pipe or info. " + USAGE);
            }
            out.flush();
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("troupe-edge: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("troupe-edge: reading stdin failed: " + e.getMessage());
            return 2;
        }
    }

    private static String format(EdgeAction a, boolean json) {
        if (!json) {
            return Integer.toString(a.action());
        }
        ObjectNode o = MAPPER.createObjectNode();
        o.put("action", a.action());
        ArrayNode logits = o.putArray("logits");
        ArrayNode probabilities = o.putArray("probabilities");
        for (int i = 0; i < a.logits().length; i++) {
            logits.add(a.logits()[i]);
            probabilities.add(a.probabilities()[i]);
        }
        o.put("value", a.value());
        o.put("policyVersion", a.policyVersion());
        return o.toString();
    }

    private static JsonNode readJson(String file, InputStream in) {
        String text;
        try {
            text = "-".equals(file) ? new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("observation file " + file + " does not exist", e);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("observation file " + file + " is not valid JSON: not UTF-8 text", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("observation file " + file + " is unreadable: " + e.getMessage(), e);
        }
        return parse(text, "observation file " + file);
    }

    private static JsonNode parse(String text, String source) {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException(source + " is empty; expected a JSON observation");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: "
                    + e.getOriginalMessage().replace('\n', ' '), e);
        }
    }

    /** The parsed command line. */
    private static final class Options {
        String command;
        String obs;
        Path dir;
        boolean json;
        boolean batch;
        int threads = 1;

        static Options parse(String[] args) {
            if (args.length == 0) {
                throw new IllegalArgumentException("no command. " + USAGE);
            }
            Options o = new Options();
            o.command = args[0];
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--json" -> o.json = true;
                    case "--batch" -> o.batch = true;
                    case "--obs" -> o.obs = value(args, ++i, a);
                    case "--dir" -> o.dir = Path.of(value(args, ++i, a));
                    case "--threads" -> {
                        String v = value(args, ++i, a);
                        try {
                            o.threads = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            o.threads = 0;
                        }
                        if (o.threads < 1) {
                            throw new IllegalArgumentException("--threads: expected a positive integer, found '" + v
                                    + "'");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'. " + USAGE);
                }
            }
            if ("act".equals(o.command) && o.obs == null) {
                throw new IllegalArgumentException("act needs --obs FILE (a JSON observation, '-' for stdin). "
                        + USAGE);
            }
            return o;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length || args[i].startsWith("--")) {
                throw new IllegalArgumentException(option + " needs a value. " + USAGE);
            }
            return args[i];
        }

        /** --dir, else the jar's directory if it is a bundle, else the working directory. */
        Path dir() {
            if (dir != null) {
                return dir;
            }
            CodeSource source = EdgeMain.class.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null) {
                try {
                    Path jar = Path.of(source.getLocation().toURI());
                    Path home = jar.getParent();
                    if (Files.isRegularFile(jar) && home != null
                            && Files.isRegularFile(home.resolve(PolicyContract.FILE))) {
                        return home;
                    }
                } catch (URISyntaxException | IllegalArgumentException e) {
                    // not a file location: fall back to the working directory
                }
            }
            return Path.of(".");
        }
    }
}
