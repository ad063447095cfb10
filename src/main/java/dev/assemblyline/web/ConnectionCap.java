package dev.assemblyline.web;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.AbstractLifeCycle;

/**
 * At most {@code cap} open connections from one address: one client trickling hundreds of slow requests
 * cannot take every thread, while everyone else (health checks, webhooks) is answered. A connection over
 * the cap is closed as it opens. Added to Jetty's server; it listens on every connector when it starts.
 */
final class ConnectionCap extends AbstractLifeCycle implements Connection.Listener {
    private final Server server;
    private final int cap;
    private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();
    private final Map<Connection, InetAddress> counted = new ConcurrentHashMap<>();

    ConnectionCap(Server server, int cap) {
        this.server = server;
        this.cap = cap;
    }

    @Override
    protected void doStart() {
        for (Connector c : server.getConnectors()) {
            c.addEventListener(this);
        }
    }

    @Override
    public void onOpened(Connection connection) {
        SocketAddress remote = connection.getEndPoint().getRemoteSocketAddress();
        if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return;
        }
        InetAddress address = inet.getAddress();
        int n = open.merge(address, 1, Integer::sum); // atomic with the decrement below
        counted.put(connection, address);
        if (n > cap) {
            connection.getEndPoint().close(); // onClosed gives the count back
        }
    }

    @Override
    public void onClosed(Connection connection) {
        InetAddress address = counted.remove(connection);
        if (address != null) {
            open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
        }
    }
}
