import {
  coreServices,
  createServiceFactory,
  type RootLoggerService,
} from '@backstage/backend-plugin-api';

/** Every line logged by a test backend (plugins and root), for checks on what must never be logged. */
export class CapturedLogs {
  readonly lines: string[] = [];

  private logger(fields: Record<string, unknown>): RootLoggerService {
    const log = (level: string) => (message: string, meta?: Error | object) => {
      const extra =
        meta instanceof Error
          ? `${meta.message}\n${meta.stack ?? ''}`
          : JSON.stringify(meta ?? {});
      this.lines.push(`${level} ${JSON.stringify(fields)} ${message} ${extra}`);
    };
    return {
      error: log('error'),
      warn: log('warn'),
      info: log('info'),
      debug: log('debug'),
      child: more => this.logger({ ...fields, ...more }),
    };
  }

  /** Service factories that replace the test backend's loggers. */
  factories() {
    return [
      createServiceFactory({
        service: coreServices.rootLogger,
        deps: {},
        factory: () => this.logger({}),
      }),
      createServiceFactory({
        service: coreServices.logger,
        deps: { plugin: coreServices.pluginMetadata },
        factory: ({ plugin }) => this.logger({ plugin: plugin.getId() }),
      }),
    ];
  }

  /** Lines holding any of the secrets. */
  containing(secrets: string[]): string[] {
    const wanted = secrets.filter(s => s.length >= 8);
    return this.lines.filter(line => wanted.some(s => line.includes(s)));
  }
}
