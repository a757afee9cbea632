package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.troupe.cluster.node.NodeSettings;
import io.troupe.cluster.node.NodeTimeouts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/kubernetes: every overlay renders with {@code kubectl kustomize}, every document parses as its Kubernetes
 * kind (fabric8's model, no field left over), and the manifests agree with the node's code and config, so neither can
 * drift: ports (Artery, Pekko Management, serving), probe paths, the discovery label and the selectors, the
 * environment variables conf/tls.conf reads, the volume paths of the job config, the grace period of a clean leave.
 */
class KubernetesManifestsTest {
    private static final Path DEPLOY = NodeProcesses.HOME.resolve("deploy/kubernetes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
            Map.entry("Namespace", Namespace.class), Map.entry("ServiceAccount", ServiceAccount.class),
            Map.entry("Role", Role.class), Map.entry("RoleBinding", RoleBinding.class),
            Map.entry("ConfigMap", ConfigMap.class), Map.entry("Secret", Secret.class),
            Map.entry("Service", Service.class), Map.entry("PersistentVolumeClaim", PersistentVolumeClaim.class),
            Map.entry("Deployment", Deployment.class), Map.entry("StatefulSet", StatefulSet.class),
            Map.entry("PodDisruptionBudget", PodDisruptionBudget.class));

    private static List<HasMetadata> render(String overlay) throws Exception {
        Process p = new ProcessBuilder("kubectl", "kustomize", DEPLOY.resolve("overlays").resolve(overlay).toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "kubectl kustomize " + overlay + " failed");
        List<HasMetadata> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                Class<? extends HasMetadata> type = KINDS.get(doc.path("kind").asText());
                assertNotNull(type, "a kind the test knows: " + doc.path("kind"));
                HasMetadata object = YAML.treeToValue(doc, type);
                // fabric8 keeps fields it does not know aside: a misspelt field would land there
                assertEquals(canonical(doc), canonical(YAML.valueToTree(object)), "round trip of "
                        + doc.path("kind").asText() + " " + object.getMetadata().getName());
                out.add(object);
            }
        }
        return out;
    }

    /**
     * A tree as the API compares it: scalars as text (1 and "1" are one quantity), and fabric8's IntOrString and
     * Quantity, which a plain mapper writes as beans ({value, strVal|intVal}, {amount, format}), back to their text.
     */
    private static JsonNode canonical(JsonNode node) {
        if (node.isObject() && node.has("value") && (node.has("strVal") || node.has("intVal"))) {
            return canonical(node.get("value"));
        }
        if (node.isObject() && node.has("amount") && node.size() <= 2) {
            return TextNode.valueOf(node.get("amount").asText() + node.path("format").asText(""));
        }
        if (node.isObject()) {
            ObjectNode out = YAML.createObjectNode();
            node.fields().forEachRemaining(e -> out.set(e.getKey(), canonical(e.getValue())));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = YAML.createArrayNode();
            node.forEach(e -> out.add(canonical(e)));
            return out;
        }
        return TextNode.valueOf(node.asText());
    }

    private static <T> List<T> of(List<HasMetadata> all, Class<T> type) {
        return all.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static Config nodeConf() {
        return ConfigFactory.parseFile(NodeProcesses.HOME.resolve("conf/cluster-node.conf").toFile());
    }

    private static String flag(List<String> args, String name) {
        int i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void theManifestsRenderParseAndAgreeWithTheNode(String overlay) throws Exception {
        List<HasMetadata> all = render(overlay);
        Config node = nodeConf();
        String service = node.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
        String portName = node.getString("pekko.management.cluster.bootstrap.contact-point-discovery.port-name");
        assertTrue(node.getBoolean("pekko.discovery.kubernetes-api.use-raw-ip"));
        Config reference = ConfigFactory.load();
        NodeTimeouts timeouts = NodeTimeouts.fromConfig(reference);
        long cleanLeaveS = timeouts.stopStageTimeout().multipliedBy(2).plus(timeouts.terminateTimeout()).toSeconds();
        Set<String> tlsVars = new TreeSet<>();
        Matcher m = Pattern.compile("\\$\\{(TROUPE_[A-Z_]+)}").matcher(Files.readString(
                NodeProcesses.HOME.resolve("conf/tls.conf")));
        while (m.find()) {
            tlsVars.add(m.group(1));
        }
        assertFalse(tlsVars.isEmpty());
        ConfigMap jobMap = of(all, ConfigMap.class).stream().filter(c -> c.getMetadata().getName()
                .startsWith("troupe-job")).findFirst().orElseThrow();
        Config job = ConfigFactory.parseString(jobMap.getData().get("job.conf").replaceAll("(?m)^include .*$", ""));

        List<PodTemplateSpec> templates = new ArrayList<>();
        Map<String, PodTemplateSpec> byRole = new HashMap<>();
        for (Deployment d : of(all, Deployment.class)) {
            assertEquals(d.getSpec().getSelector().getMatchLabels(), subset(d.getSpec().getTemplate(),
                    d.getSpec().getSelector().getMatchLabels()), d.getMetadata().getName());
            templates.add(d.getSpec().getTemplate());
        }
        for (StatefulSet s : of(all, StatefulSet.class)) {
            assertEquals(s.getSpec().getSelector().getMatchLabels(), subset(s.getSpec().getTemplate(),
                    s.getSpec().getSelector().getMatchLabels()), s.getMetadata().getName());
            templates.add(s.getSpec().getTemplate());
        }
        assertEquals(4, templates.size(), "agent, replay, learner, serve");
        for (PodTemplateSpec t : templates) {
            String role = t.getMetadata().getLabels().get("app.kubernetes.io/component");
            byRole.put(role, t);
            // discovery lists the pods labelled app=<service-name> (pod-label-selector app=%s)
            assertEquals(service, t.getMetadata().getLabels().get("app"), role);
            assertEquals("troupe", t.getSpec().getServiceAccountName(), role);
            assertTrue(t.getSpec().getTerminationGracePeriodSeconds() > cleanLeaveS, role + ": grace period "
                    + t.getSpec().getTerminationGracePeriodSeconds() + " s must exceed a clean leave, " + cleanLeaveS);
            Container c = t.getSpec().getContainers().get(0);
            List<String> args = c.getArgs();
            assertEquals("node", args.get(0));
            assertEquals(List.of(role), List.of(flag(args, "--roles").split(",")));
            assertTrue(NodeSettings.ROLES.contains(role), role);
            assertEquals("kubernetes-api", flag(args, "--discovery"), role);
            assertEquals("$(POD_IP)", flag(args, "--host"), role);
            int management = Integer.parseInt(flag(args, "--management-port"));
            assertEquals(NodeSettings.DEFAULT_MANAGEMENT_PORT, management, role);
            ContainerPort mp = port(c, portName);
            assertEquals(management, mp.getContainerPort(), role + ": the port named " + portName);
            assertEquals(Integer.parseInt(flag(args, "--port")), port(c, "remoting").getContainerPort(), role);
            assertEquals("/etc/troupe/job/job.conf", flag(args, "--config"), role);
            assertEquals("/etc/troupe/job", mount(c, "job").getMountPath(), role);
            for (Probe probe : List.of(c.getStartupProbe(), c.getLivenessProbe())) {
                assertEquals("/" + NodeSettings.ALIVE_PATH, probe.getHttpGet().getPath(), role);
                assertEquals(portName, probe.getHttpGet().getPort().getStrVal(), role);
            }
            assertEquals("/" + NodeSettings.READY_PATH, c.getReadinessProbe().getHttpGet().getPath(), role);
            assertEquals(portName, c.getReadinessProbe().getHttpGet().getPort().getStrVal(), role);
            // a pod is Ready within 2 s of its node (the bootstrap time counts to Ready)
            assertTrue(c.getReadinessProbe().getPeriodSeconds() <= 2, role + ": readiness every "
                    + c.getReadinessProbe().getPeriodSeconds() + " s");
            Set<String> env = new TreeSet<>(c.getEnv().stream().map(EnvVar::getName).toList());
            assertTrue(env.containsAll(tlsVars), role + ": conf/tls.conf reads " + tlsVars + ", the pod sets " + env);
            assertTrue(env.containsAll(Set.of("POD_IP", "TROUPE_ADMIN_TOKEN")), role + ": " + env);
            if (args.contains("--tls")) {
                assertEquals("/opt/troupe/conf/tls.conf", flag(args, "--tls"), role);
                assertTrue(c.getEnv().stream().filter(e -> e.getName().equals("TROUPE_TLS_KEY_STORE")).findFirst()
                        .orElseThrow().getValue().startsWith(mount(c, "tls").getMountPath() + "/"), role);
            } else {
                assertEquals("dev", overlay, "only dev runs Artery without TLS");
                assertTrue(args.contains("--insecure"), role);
            }
            assertNotNull(c.getResources().getRequests().get("cpu"), role);
            assertNotNull(c.getResources().getLimits().get("memory"), role);
            assertTrue(c.getSecurityContext().getRunAsNonRoot(), role);
        }
        // the volumes are where the job config writes
        assertEquals(job.getString("troupe.replay.durability.dir"), mount(byRole.get("replay").getSpec()
                .getContainers().get(0), "wal").getMountPath());
        assertEquals("wal", job.getString("troupe.replay.durability.mode"));
        assertEquals(job.getString("troupe.learner.checkpoint-dir"), mount(byRole.get("learner").getSpec()
                .getContainers().get(0), "checkpoints").getMountPath());
        // serving: the Service's target is the serve pods' serving port, which the node is told to bind
        Container serve = byRole.get("serve").getSpec().getContainers().get(0);
        Service serveService = of(all, Service.class).stream().filter(s -> s.getMetadata().getName()
                .equals("troupe-serve")).findFirst().orElseThrow();
        assertEquals(serveService.getSpec().getSelector(), subset(byRole.get("serve"),
                serveService.getSpec().getSelector()));
        String servingPort = serveService.getSpec().getPorts().get(0).getTargetPort().getStrVal();
        assertTrue(serve.getArgs().contains("troupe.serving.port=" + port(serve, servingPort).getContainerPort()));
        assertEquals(8080, reference.getInt("troupe.serving.port"), "the serving default the image exposes");
        // every PodDisruptionBudget selects the pods of one role
        for (PodDisruptionBudget pdb : of(all, PodDisruptionBudget.class)) {
            Map<String, String> sel = pdb.getSpec().getSelector().getMatchLabels();
            assertTrue(byRole.values().stream().filter(t -> subset(t, sel).equals(sel)).count() == 1,
                    pdb.getMetadata().getName());
        }
        // pod discovery: the Role lets the service account list the pods
        Role role = of(all, Role.class).get(0);
        assertTrue(role.getRules().get(0).getResources().contains("pods")
                && role.getRules().get(0).getVerbs().containsAll(List.of("get", "list")), role.toString());
        assertEquals("troupe", of(all, RoleBinding.class).get(0).getSubjects().get(0).getName());
        if (overlay.equals("production")) {
            Container learner = byRole.get("learner").getSpec().getContainers().get(0);
            assertEquals("1", learner.getResources().getLimits().get("nvidia.com/gpu").getAmount());
            assertEquals(List.of("ReadWriteMany"), of(all, PersistentVolumeClaim.class).get(0).getSpec()
                    .getAccessModes(), "learner pods share the checkpoints for fail-over");
        }
    }

    private static Map<String, String> subset(PodTemplateSpec t, Map<String, String> keys) {
        Map<String, String> out = new HashMap<>();
        keys.keySet().forEach(k -> {
            if (t.getMetadata().getLabels().containsKey(k)) {
                out.put(k, t.getMetadata().getLabels().get(k));
            }
        });
        return out;
    }

    private static ContainerPort port(Container c, String name) {
        return c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + name + " in " + c.getPorts()));
    }

    private static VolumeMount mount(Container c, String name) {
        return c.getVolumeMounts().stream().filter(v -> name.equals(v.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume mount " + name));
    }
}
