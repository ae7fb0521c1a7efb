import scenario from '../../scenarios/admin.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('admin', scenario);
