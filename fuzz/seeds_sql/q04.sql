SELECT year, MIN(flipper_length_mm) AS shortest, MAX(flipper_length_mm) AS longest
FROM penguins
WHERE year BETWEEN 2007 AND 2009
GROUP BY year
ORDER BY year