import scenario from '../../scenarios/quotas.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('quotas', scenario);
