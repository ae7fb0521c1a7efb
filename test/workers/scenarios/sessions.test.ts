import scenario from '../../scenarios/sessions.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('sessions', scenario);
