SELECT CAST(bill_length_mm AS INTEGER) AS mm, CAST("Sample Number" AS VARCHAR)
FROM penguins, "penguins-raw"
WHERE CAST(flipper_length_mm AS DOUBLE) > 190.5