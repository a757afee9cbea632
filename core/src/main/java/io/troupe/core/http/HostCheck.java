package io.troupe.core.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which {@code Host} headers an HTTP port answers (against DNS rebinding: a page on evil.example whose name was
 * re-pointed at 127.0.0.1 sends {@code Host: evil.example}). Accepted: the bound hostname; {@code localhost},
 * {@code 127.0.0.1} and {@code [::1]} when it is a loopback address; the configured further names; and with a wildcard
 * bind (0.0.0.0, ::) any IP literal (an address cannot be rebound); each with no port or the bound port. The admin API
 * and the policy service both use it. Pure and thread-safe.
 */
public final class HostCheck {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final Set<String> names = new LinkedHashSet<>();
    private final boolean anyAddress;
    private final int port;
    private final String service;
    private final String allowKey;

    /**
     * @param service  what a refusal calls the port ("this admin API", "this policy service")
     * @param allowKey the config key of the further names, which a refusal names
     */
    public HostCheck(String boundHostname, int port, List<String> allowedHosts, String service, String allowKey) {
        this.port = port;
        this.service = service;
        this.allowKey = allowKey;
        String bound = normalize(boundHostname);
        names.add(bound);
        InetAddress address = resolve(boundHostname);
        this.anyAddress = address != null && address.isAnyLocalAddress();
        if (address != null && address.isLoopbackAddress()) {
            names.add("localhost");
            names.add("127.0.0.1");
            names.add("[::1]");
        }
        for (String h : allowedHosts) {
            names.add(normalize(h));
        }
    }

    private static InetAddress resolve(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String normalize(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.contains(":") && !h.startsWith("[")) {
            h = "[" + h + "]"; // an IPv6 literal as a Host header writes it
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /** Null when {@code header} (the Host header's value; null when absent) is accepted, else why not. */
    public String refusal(String header) {
        if (header == null || header.isBlank()) {
            return "the request has no Host header; expected " + expected();
        }
        String value = header.trim().toLowerCase(Locale.ROOT);
        String host = value;
        String portText = null;
        int colon = value.lastIndexOf(':');
        if (colon >= 0 && value.indexOf(']') < colon) {
            host = value.substring(0, colon);
            portText = value.substring(colon + 1);
        }
        host = normalize(host);
        boolean portOk = portText == null || portText.equals(Integer.toString(port));
        boolean hostOk = names.contains(host) || anyAddress && isIpLiteral(host);
        if (hostOk && portOk) {
            return null;
        }
        return "Host '" + header.trim() + "' is not " + service + "'s address; expected " + expected()
                + " (requests through another name are refused against DNS rebinding; add the name to "
                + allowKey + " if it is yours)";
    }

    private static boolean isIpLiteral(String host) {
        return IPV4.matcher(host).matches() || host.startsWith("[") && host.endsWith("]");
    }

    private String expected() {
        StringBuilder b = new StringBuilder();
        for (String n : names) {
            b.append(b.length() == 0 ? "" : " or ").append(n).append(':').append(port);
        }
        return anyAddress ? b + " or an IP address of this node" : b.toString();
    }
}
