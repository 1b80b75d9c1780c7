export { discoverServices, type DiscoveredService } from './discover.js';
export {
  checkInfrastructure,
  checkNats,
  checkPostgres,
  InfrastructureUnavailableError,
  NATS_INSTALL_COMMANDS,
  START_COMMANDS,
  type CheckInfrastructureOptions,
  type InfrastructureComponent,
  type InfrastructureProblem,
} from './infrastructure.js';
export { ServiceStartError, type ExitInfo } from './managed-process.js';
export { EMBEDDED_POSTGRES_USER, startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
export { findNatsServer, natsServerSearchPath, startLocalNats, type LocalNatsOptions } from './local-nats.js';
export type { LocalServer } from './local-server.js';
export { freePort, freePorts, isPortFree, PortInUseError } from './ports.js';
export {
  DEFAULT_NATS_URL,
  DEFAULT_POSTGRES_URL,
  provideInfrastructure,
  type ProvidedInfrastructure,
  type ProvideInfrastructureOptions,
} from './provide-infrastructure.js';
export {
  SERVICE_NODE_FLAGS,
  SERVICE_PROCESS_ENV,
  startSystem,
  TRACING_PRELOAD,
  type RunningMail,
  type RunningService,
  type RunningSystem,
  type SystemOptions,
} from './system.js';
