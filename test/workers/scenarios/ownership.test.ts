import scenario from '../../scenarios/ownership.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('ownership', scenario);
