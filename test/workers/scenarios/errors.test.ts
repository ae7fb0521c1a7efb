import scenario from '../../scenarios/errors.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('errors', scenario);
