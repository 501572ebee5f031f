export interface Config {
  /**
   * Settings of the kubernetes-terminal backend. Clusters and their credentials are read from the
   * standard `kubernetes` section (`clusterLocatorMethods` of type `config`).
   */
  kubernetesTerminal?: {
    /**
     * Shells tried in order when a terminal opens; the first one that exists in the container is used.
     * Default: [bash, sh].
     */
    shells?: string[];
    /**
     * How long a ticket returned by `POST /sessions` may wait before the browser presents it.
     * A duration string such as '30s' or an object { seconds: 30 }. Default 30 seconds.
     */
    ticketTtl?: string | { seconds?: number; minutes?: number };
    /**
     * Origins, besides the origin of `app.baseUrl`, whose pages may open a terminal WebSocket.
     */
    allowedOrigins?: string[];
    /**
     * Seconds between WebSocket pings to the browser; a browser that misses two is disconnected.
     * Default 30.
     */
    heartbeatIntervalSeconds?: number;
  };
}
