package io.troupe.cluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The launcher builds only the subcommand it is given; everything a user sees stays what the whole tree shows. */
class TroupeCliTest {
    @Test
    void aNamedSubcommandIsBuiltAloneWithTheUsageOfTheWholeTree() {
        Map<String, CommandLine> whole = TroupeCli.commandLine().getSubcommands();
        assertTrue(whole.keySet().containsAll(Set.of("train", "node", "serve", "bench", "env", "help")),
                whole.keySet().toString());
        for (String name : whole.keySet()) {
            if (name.equals("help")) {
                continue;
            }
            Map<String, CommandLine> alone = TroupeCli.commandLineFor(name, "--help").getSubcommands();
            assertEquals(Set.of(name), alone.keySet(), name);
            assertSameUsage(whole.get(name), alone.get(name));
        }
    }

    /** The usage of a command and of each of its subcommands, all the way down. */
    private static void assertSameUsage(CommandLine expected, CommandLine actual) {
        assertEquals(expected.getUsageMessage(), actual.getUsageMessage(), expected.getCommandSpec().qualifiedName());
        assertEquals(expected.getSubcommands().keySet(), actual.getSubcommands().keySet());
        for (String sub : expected.getSubcommands().keySet()) {
            assertSameUsage(expected.getSubcommands().get(sub), actual.getSubcommands().get(sub));
        }
    }

    @Test
    void anythingButASubcommandsNameGetsTheWholeTree() {
        Set<String> all = TroupeCli.commandLine().getSubcommands().keySet();
        for (String[] args : new String[][] {{}, {"--help"}, {"--version"}, {"help", "train"}, {"trian"}}) {
            assertEquals(all, TroupeCli.commandLineFor(args).getSubcommands().keySet(), String.join(" ", args));
        }
    }

    @Test
    void aMistypedSubcommandIsStillAnsweredWithTheNearestName() {
        StringWriter err = new StringWriter();
        CommandLine cl = TroupeCli.commandLineFor("trian");
        cl.setErr(new PrintWriter(err, true));
        assertEquals(TroupeCli.USER_ERROR, cl.execute("trian"));
        assertTrue(err.toString().contains("Did you mean: troupe train?"), err.toString());
    }
}
