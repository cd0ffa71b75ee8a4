DROP TABLE "honours_judged";
