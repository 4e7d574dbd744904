using System.Net;
using System.Net.Sockets;

/// <summary>Starts a test server's <see cref="HttpListener"/> on a free loopback port.</summary>
internal static class LoopbackPort
{
    /// <summary>Binds the listener and returns its <c>/v1</c> endpoint.</summary>
    /// <remarks>
    /// Finding a free port (a probe socket on port 0) and binding it are two steps, so a server started at the same
    /// moment by a parallel test can take the port in between: then the start fails and a new port is tried.
    /// </remarks>
    public static Uri Listen(HttpListener listener)
    {
        for (int attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new Uri($"http://127.0.0.1:{port}/v1");
            }
            catch (HttpListenerException) when (attempt < 10)
            {
            }
        }
    }
}
