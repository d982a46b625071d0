SELECT CASE WHEN flipper_length_mm > 200 THEN 'long'
            WHEN flipper_length_mm IS NULL THEN NULL ELSE 'short' END AS size,
       COUNT(*)
FROM penguins
GROUP BY 1