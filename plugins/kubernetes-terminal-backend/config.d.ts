export interface Config {
  /**
   * Settings of the kubernetes-terminal backend. Clusters and their credentials are read from the
   * standard `kubernetes` section (`clusterLocatorMethods` of type `config` and `localKubectlProxy`).
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
    idleDisconnectAfter?:
      | string
      | { seconds?: number; minutes?: number; hours?: number };
    /**
     * How long a Kubernetes API request (listing the entity's pods) may take before the portal gives up
     * and says the cluster is unavailable. Default 10 seconds.
     */
    clusterRequestTimeout?:
      | string
      | { seconds?: number; milliseconds?: number };
    /**
     * Keeping a shell across a lost connection (network, page reload, laptop sleep). The session is
     * detached: its shell runs on, its output is held (up to the 1 MiB acknowledgement window, then the
     * container is paused), and the same person's browser resumes it through the REST API. Disconnect,
     * Terminate, expiry and idle limits end it as usual.
     */
    resume?: {
      /**
       * How long a detached session waits for its browser: a duration string such as '2m' or an
       * object { minutes: 2 }. Default 2 minutes, at most 15 minutes; 0 ends sessions with their socket.
       */
      grace?: string | { seconds?: number; minutes?: number };
      /**
       * Output held for all detached sessions of one backend, in MiB; past it, a detached session's
       * container is paused as soon as it writes more. Default 256.
       */
      maxHeldMegabytes?: number;
      /**
       * With several backend replicas behind one URL: this replica's plugin base URL as the other
       * replicas reach it, e.g. 'http://${POD_IP}:7007/api/kubernetes-terminal'. It is stored with
       * each session it serves; a resume that lands on another replica is forwarded here
       * (replica-to-replica calls carry the backend's own service token). Unset: only the replica
       * holding a session resumes it; the others answer 503 and say why. Also where the other
       * replicas relay connections to private clusters whose agent tunnel this replica holds.
       */
      instanceUrl?: string;
    };
    /** The most terminal sessions one user may have open at once. Default 10. */
    maxSessionsPerUser?: number;
    /**
     * Clusters whose API server is not reachable from the internet, shown as such in the audit log.
     * Clusters reached through an agent (`clusters.<name>.agent`) are private without being listed.
     */
    privateClusters?: string[];
    /** Settings per cluster name (as in `kubernetes.clusterLocatorMethods`). */
    clusters?: {
      [clusterName: string]: {
        /**
         * Act as the person in this cluster: the backend's credential plus `Impersonate-User` and one
         * `Impersonate-Group` per group, on every call made for them (listing pods, exec). `true` takes
         * the defaults. The backend's identity needs the `impersonate` verb on users and groups. Not
         * with `oidc`, `google` or `aks` clusters, whose credential is already the person's.
         */
        impersonate?:
          | boolean
          | {
              /** What the Kubernetes user name is: `entityRef` (default), `email` (spec.profile.email) or `name`. */
              user?: 'entityRef' | 'email' | 'name';
              /** Prepended to the user name. Default none. */
              userPrefix?: string;
              /** The person's catalog groups as `entityRef` (default) or `name`, or `none`. */
              groups?: 'entityRef' | 'name' | 'none';
              /** Prepended to each group. Default none. */
              groupPrefix?: string;
            };
        /**
         * The cluster is private: the backend never dials its `url` (the API server's in-cluster
         * address, e.g. https://kubernetes.default.svc) but reaches it through the kubernetes-terminal
         * agent running in the cluster, which dials out to the portal. TLS runs end to end through the
         * agent; the cluster's auth strategy and CA apply as for any cluster. The `url` must be https.
         */
        agent?: {
          /**
           * The tokens the cluster's agents may present, each under an id shown in the agents' health
           * and the audit log. Only the token's SHA-256 is configured (`kubernetes-terminal-agent
           * token` prints both). List two while rotating: the new one, then the old one once every
           * agent has the new one. A token removed here no longer opens a tunnel.
           */
          tokens: Array<{
            /** 1–64 letters, digits, dots, dashes or underscores. */
            id: string;
            /** The token's SHA-256, 64 hex digits. */
            sha256: string;
          }>;
        };
      };
    };
    audit?: {
      /**
       * Refuse new sessions while the audit log cannot be written. Default true.
       */
      failClosed?: boolean;
      /** Sessions and audit events older than this are deleted. Default 90 days. */
      retention?: string | { days?: number };
      /**
       * Record each command line a user runs as a `command_executed` event, as the terminal showed it
       * (what is typed without echo, such as passwords, is never recorded). Default true.
       */
      commands?: boolean;
    };
    /**
     * Session recordings (asciicast v2): what each terminal showed, and its resizes, never what was
     * typed. Replayed from the session page with `kubernetes.terminal.recording.read`; kept as long as
     * the audit log (`audit.retention`).
     */
    recording?: {
      /** Default true. */
      enabled?: boolean;
      /** `database` (the portal's; default) or `directory`. */
      storage?: 'database' | 'directory';
      /** With storage `directory`: where `<session id>.cast` files are written. */
      directory?: string;
      /** A recording stops once it holds this much of the terminal's output. Default 64. */
      maxSessionMegabytes?: number;
      /**
       * End a session that cannot be recorded (its recording cannot be written, or reached the size
       * limit) and refuse new ones while recordings cannot be written. Default false: the recording
       * stops, marked truncated, and the session goes on.
       */
      failClosed?: boolean;
    };
    /**
     * kubectl session pods: instead of entering an application container, the user gets a fresh,
     * short-lived pod with kubectl, acting through its own service account, bound to `clusterRole`
     * in the entity's namespace only. Every setting but the durations can be overridden per cluster
     * under `clusters.<name>`.
     */
    sessionPods?: SessionPodSettings & {
      /** How long a session pod lives before it is deleted, unless extended. Default 30 minutes. */
      expiry?: string | { seconds?: number; minutes?: number; hours?: number };
      /** How much one extension adds. Default 30 minutes. */
      extendBy?:
        | string
        | { seconds?: number; minutes?: number; hours?: number };
      /** The most a session pod can live, extensions included. Default 8 hours. */
      maxLifetime?:
        | string
        | { seconds?: number; minutes?: number; hours?: number };
      /** From this long before expiry the terminal warns and offers to extend. Default 5 minutes. */
      warningBefore?: string | { seconds?: number; minutes?: number };
      /** A pod that is not running after this long fails to open. Default 2 minutes. */
      provisionTimeout?: string | { seconds?: number; minutes?: number };
      /** How often the clean-up janitor looks for expired session pods. Default 1 minute. */
      janitorInterval?: string | { seconds?: number; minutes?: number };
      /** Overrides per cluster name (as in `kubernetes.clusterLocatorMethods`). */
      clusters?: { [clusterName: string]: SessionPodSettings };
    };
    /**
     * Debug containers, for images without a shell: an ephemeral container with `image` is added
     * beside the chosen container (`kubectl debug --target`) and the terminal attaches to it. The
     * same person's running debug container for the same target is re-attached. Ephemeral
     * containers cannot be removed: they stay in the pod until it is replaced.
     */
    debugContainers?: {
      /** Offer debug containers. Default false. */
      enabled?: boolean;
      /** The debugger's image, with a shell and tools. Default busybox:1.36. */
      image?: string;
      /**
       * Its security context, as kubectl debug's profiles: restricted (non-root, no privileges,
       * no capabilities), baseline (none set), general (adds SYS_PTRACE). Default restricted.
       */
      profile?: 'restricted' | 'baseline' | 'general';
      /** The most ephemeral containers a pod may collect before no more are added. Default 5. */
      maxPerPod?: number;
      /** A debug container not running after this long fails to open. Default 60 seconds. */
      startTimeout?: string | { seconds?: number; minutes?: number };
    };
  };
}

interface SessionPodSettings {
  /** Offer session pods. Default false. */
  enabled?: boolean;
  /** Image with kubectl and a shell. Default bitnami/kubectl:latest. */
  image?: string;
  /** The container's command; it only has to keep running. Default [sleep, infinity]. */
  command?: string[];
  /** ClusterRole the session's service account is bound to in the namespace. Default view. */
  clusterRole?: string;
  /** The API server as the pod reaches it, written into its kubeconfig. Default https://kubernetes.default.svc. */
  apiServerUrl?: string;
  /** Extra annotations of the pod, e.g. { sidecar.istio.io/inject: "false" }. */
  podAnnotations?: { [key: string]: string };
  /** Requests and limits of the container. Default requests 50m / 64Mi, limits 500m / 256Mi. */
  resources?: {
    requests?: { cpu?: string; memory?: string };
    limits?: { cpu?: string; memory?: string };
  };
  networkPolicy?: {
    /** Create a NetworkPolicy that denies ingress and allows egress to DNS and the API server only. Default true. */
    enabled?: boolean;
    /**
     * Where the API server listens, e.g. [10.0.0.1/32]. Default: the addresses of the
     * `default/kubernetes` Endpoints, else the cluster URL's IP.
     */
    apiServerCidrs?: string[];
    /** Ports of the API server. Default [443, 6443]. */
    apiServerPorts?: number[];
    /** DNS port of kube-dns in kube-system. Default 53. */
    dnsPort?: number;
    /** More egress rules (NetworkPolicyEgressRule objects), appended as they are. */
    extraEgress?: object[];
  };
}
