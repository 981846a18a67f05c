-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "lastContactAt" TIMESTAMP(3),
ADD COLUMN     "watchdog" TEXT;

