export { loadBrokerSettings, BrokerSettings, SettingsError, DEFAULT_DATA_DIR, DEFAULT_LISTENERS, DEFAULT_ADVERTISED_LISTENERS } from './broker-settings';
export { buildCli } from './main';
