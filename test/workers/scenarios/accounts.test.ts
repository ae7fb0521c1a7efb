import scenario from '../../scenarios/accounts.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('accounts', scenario);
