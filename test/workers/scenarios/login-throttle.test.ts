import scenario from '../../scenarios/login-throttle.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('login-throttle', scenario);
