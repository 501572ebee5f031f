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
    /**
     * A session without input for this long is marked idle. A duration string such as '5m' or an
     * object { minutes: 5 }. Default 5 minutes.
     */
    idleAfter?: string | { seconds?: number; minutes?: number; hours?: number };
    /**
     * When set, an idle session is ended this long after it became idle. Default: never.
     */
    idleDisconnectAfter?: string | { seconds?: number; minutes?: number; hours?: number };
    /** The most terminal sessions one user may have open at once. Default 10. */
    maxSessionsPerUser?: number;
    /** Clusters whose API server is not reachable from the internet, shown as such in the audit log. */
    privateClusters?: string[];
    audit?: {
      /**
       * Refuse new sessions while the audit log cannot be written. Default true.
       */
      failClosed?: boolean;
      /** Sessions and audit events older than this are deleted. Default 90 days. */
      retention?: string | { days?: number };
    };
  };
}
