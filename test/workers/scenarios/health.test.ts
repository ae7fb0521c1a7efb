import scenario from '../../scenarios/health.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('health', scenario);
