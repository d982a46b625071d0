SELECT MIN(flipper_length_mm) AS shortest, MAX(flipper_length_mm) AS longest
FROM penguins
WHERE flipper_length_mm BETWEEN 180 AND 220