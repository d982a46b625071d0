SELECT "Sex", AVG("Delta 15 N (o/oo)") AS d15n, AVG("Delta 13 C (o/oo)") AS d13c
FROM "penguins-raw"
WHERE "Sex" IS NOT NULL
GROUP BY "Sex"