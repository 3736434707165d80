// Every process of ours runs in UTC; tests too, so date handling is identical on every machine.
process.env.TZ = 'UTC';
