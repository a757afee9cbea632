package io.troupe.cluster.util;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;

/**
 * Checks, before anything is started or written, that a server will be able to bind its address: a host name that
 * resolves to an address of this machine, and a port nobody holds. Pekko HTTP binds only once the actor system is up,
 * and reports a failure with a stack trace; this says it in one line first. (Another process may still take the port
 * in between; the server's own bind then fails as before.)
 */
public final class BindCheck {
    private BindCheck() {
    }

    /**
     * Throws an {@link IllegalArgumentException} naming {@code what} (the server), the address and {@code settings}
     * (where the address comes from) when {@code host:port} cannot be bound; port 0 checks the host only.
     */
    public static void requireBindable(String what, String host, int port, String settings) {
        String address = host + ":" + port;
        InetAddress resolved;
        try {
            resolved = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(what + ": cannot bind " + address + ": the host name does not resolve ("
                    + settings + ")");
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(resolved, port));
        } catch (BindException e) {
            String reason = e.getMessage() != null && e.getMessage().contains("in use") ? "the port is in use"
                    : "the address is not one of this machine's (" + e.getMessage() + ")";
            throw new IllegalArgumentException(what + ": cannot bind " + address + ": " + reason + " (" + settings
                    + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot bind " + address + ": " + e.getMessage() + " ("
                    + settings + ")");
        }
    }
}
