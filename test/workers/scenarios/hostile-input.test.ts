import scenario from '../../scenarios/hostile-input.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('hostile-input', scenario);
