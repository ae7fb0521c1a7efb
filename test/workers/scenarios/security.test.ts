import scenario from '../../scenarios/security.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('security', scenario);
