import scenario from '../../scenarios/api-keys.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('api-keys', scenario);
