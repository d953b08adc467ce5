mod scenario_errors;
