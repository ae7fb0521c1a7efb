import scenario from '../../scenarios/usage.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('usage', scenario);
