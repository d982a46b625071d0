SELECT "studyName", COUNT(DISTINCT "Individual ID") AS individuals
FROM "penguins-raw"
GROUP BY "studyName"