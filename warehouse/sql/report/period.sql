-- The period asked for, if the warehouse knows it.
SELECT period_code, period_type, label_vi, start_date, end_date
FROM dim_period
WHERE period_code = $period_code;
