export { discoverServices, type DiscoveredService } from './discover.js';
export {
  checkInfrastructure,
  InfrastructureUnavailableError,
  START_COMMANDS,
  type CheckInfrastructureOptions,
  type InfrastructureComponent,
  type InfrastructureProblem,
} from './infrastructure.js';
export type { ExitInfo } from './managed-process.js';
export { freePort, freePorts, PortInUseError } from './ports.js';
export {
  ServiceStartError,
  startSystem,
  type RunningMail,
  type RunningService,
  type RunningSystem,
  type SystemOptions,
} from './system.js';
