package io.troupe.cluster.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * HTTPS on the admin port ({@code troupe.admin.tls}): the server's key and certificate from a key store (PKCS12 by
 * default). The password comes from the {@code TROUPE_ADMIN_TLS_PASSWORD} environment variable, else from
 * {@code key-store-password}; {@link #toString()} never shows it.
 */
public record AdminTls(boolean enabled, Path keyStore, String keyStoreType, String keyStorePassword) {
    public static final String PASSWORD_VARIABLE = "TROUPE_ADMIN_TLS_PASSWORD";
    public static final AdminTls DISABLED = new AdminTls(false, Path.of(""), "PKCS12", "");

    public AdminTls {
        if (enabled && keyStore.toString().isEmpty()) {
            throw new IllegalArgumentException("troupe.admin.tls.key-store: TLS is enabled but no key store is set "
                    + "(a PKCS12 file with the server's key and certificate)");
        }
        if (keyStoreType.isBlank()) {
            throw new IllegalArgumentException("troupe.admin.tls.key-store-type must name a key store type such as "
                    + "PKCS12");
        }
    }

    /** A server context holding the key store's key; errors name the key and the file. */
    public SSLContext serverContext() {
        char[] password = keyStorePassword.toCharArray();
        KeyStore store;
        try (InputStream in = Files.newInputStream(keyStore)) {
            store = KeyStore.getInstance(keyStoreType);
            store.load(in, password);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("troupe.admin.tls.key-store: no file " + keyStore.toAbsolutePath());
        } catch (IOException e) {
            throw new IllegalArgumentException("troupe.admin.tls.key-store: cannot open " + keyStore + " as "
                    + keyStoreType + " (a wrong troupe.admin.tls.key-store-password or " + PASSWORD_VARIABLE
                    + "?): " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("troupe.admin.tls.key-store: cannot read " + keyStore + ": "
                    + e.getMessage());
        }
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("troupe.admin.tls.key-store: " + keyStore + " holds no usable key: "
                    + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return enabled ? "AdminTls[key-store=" + keyStore + ", type=" + keyStoreType + ", password="
                + (keyStorePassword.isEmpty() ? "none" : "<redacted>") + "]" : "AdminTls[off]";
    }

    static AdminTls fromConfig(Config c, Map<String, String> environment) {
        String fromEnv = environment.get(PASSWORD_VARIABLE);
        String password = fromEnv != null && !fromEnv.isEmpty() ? fromEnv : c.getString("key-store-password");
        return new AdminTls(c.getBoolean("enabled"), Path.of(c.getString("key-store")), c.getString("key-store-type"),
                password);
    }
}
